//! The side files read beside any revenue input: fx.csv, customers.csv, annotations.csv and
//! customer_map.csv.

pub(crate) mod customer_map;
pub(crate) mod customers;
pub(crate) mod fx;
pub(crate) mod notes;

use crate::error::{IoError, Rejection};
use customers::Attributes;
use nrr_core::customer_map::CustomerMap;
use nrr_core::dataset::DatasetBuilder;
use nrr_core::report::Notes;
use std::path::Path;

/// What the side files hold (fx.csv goes into the builder).
pub(crate) struct SideFiles {
    /// customers.csv, when asked for and present.
    pub(crate) attributes: Option<Attributes>,
    /// annotations.csv, when present (no notes otherwise).
    pub(crate) notes: Notes,
    /// customer_map.csv, when present.
    pub(crate) customer_map: Option<CustomerMap>,
}

/// Reads fx.csv (into the builder), customers.csv (when `customers`), annotations.csv and
/// customer_map.csv from `base`, each when present; none without a base. The customer map is
/// applied to the attributes, the notes and the builder.
pub(crate) fn read(
    base: Option<&Path>,
    customers: bool,
    builder: &mut DatasetBuilder,
    rejections: &mut Vec<Rejection>,
) -> Result<SideFiles, IoError> {
    if let Some(fx_path) = base.map(|b| b.join("fx.csv")).filter(|p| p.exists()) {
        fx::read(&fx_path, builder, rejections)?;
    }
    let customers_path = base.map(|b| b.join("customers.csv"));
    let mut attributes = match customers_path.filter(|p| customers && p.exists()) {
        Some(p) => Some(customers::read(&p, rejections)?),
        None => None,
    };
    let notes_path = base.map(|b| b.join("annotations.csv"));
    let mut notes = match notes_path.filter(|p| p.exists()) {
        Some(p) => Notes {
            notes: notes::read(&p, rejections, &mut builder.notices)?,
            source: crate::table::display_name(&p),
        },
        None => Notes::default(),
    };
    let map_path = base.map(|b| b.join(customer_map::FILE));
    let customer_map = match map_path.filter(|p| p.exists()) {
        Some(p) => {
            let map = customer_map::read(&p, rejections, &mut builder.notices)?;
            if let Some(a) = attributes.as_mut() {
                customer_map::merge_attributes(&map, a);
            }
            customer_map::merge_notes(&map, &mut notes.notes);
            builder.set_customer_map(map.clone());
            Some(map)
        }
        None => None,
    };
    Ok(SideFiles {
        attributes,
        notes,
        customer_map,
    })
}

/// Where a side file's rejections go after the revenue inputs' (`revenue`: their count):
/// fx.csv, customers.csv, annotations.csv, then customer_map.csv.
pub(crate) fn rank(file: &str, revenue: usize) -> usize {
    match file {
        "fx.csv" => revenue,
        "customers.csv" => revenue + 1,
        "annotations.csv" => revenue + 2,
        _ => revenue + 3,
    }
}
